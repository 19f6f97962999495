"""Demo data for sandbox mode: a demo operator and simulated users, logins and failures."""
