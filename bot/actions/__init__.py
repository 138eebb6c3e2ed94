"""Custom actions, one module per feature; the action server registers every concrete one."""
