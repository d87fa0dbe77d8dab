"""An example Django site: connect an Asperion account, then page through each tenant's debtors."""
