"""``python -m deployments``: serve every deployment from this one process."""

from prefect import serve

from deployments.registry import build_deployments
from services.masking import install_masking

if __name__ == "__main__":
    install_masking()
    serve(*build_deployments(), limit=8)
