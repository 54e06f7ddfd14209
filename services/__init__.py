"""The applications of ssj: what departments, the office and auditors ask the service to do."""
