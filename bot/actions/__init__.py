"""Custom actions, one module per feature; rasa-sdk's executor registers every concrete one."""
