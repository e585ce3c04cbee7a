"""The Workspace API subset that puts code in place: objects by path and notebook formats."""
