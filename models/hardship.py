"""Hardship aid as data: which programme (and so which budget) each category draws on."""

from models.policy import Category

PROGRAMME_BY_CATEGORY: dict[Category, str] = {
    Category.living_relief: "HA-LIVING",
    Category.medical_relief: "HA-MEDICAL",
    Category.student_aid: "HA-STUDENT",
    Category.winter_relief: "HA-WINTER",
    Category.summer_relief: "HA-SUMMER",
    Category.emergency_relief: "HA-EMERGENCY",
}

# Statuses in which a case counts as aid granted this year (duplicate and cap checks).
GRANTED_STATUSES = ("approved", "payout_pending", "paid", "closed")
