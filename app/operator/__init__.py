"""The operator view (OPERATOR_LOGINS): every owner account, and credit adjustments with a reason."""
