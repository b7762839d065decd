"""context.json: parsing and validation of the owner's context definitions."""
