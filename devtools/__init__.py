"""Development tooling: the local stack `make up` starts and the end-to-end demo. Both sit above
every layer (they start the deployments and the sandboxes); nothing in the product imports them."""
