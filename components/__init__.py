"""Pulumi ComponentResources, one per capability of the stack. Import them from their modules."""
