"""The Octavia v2 facade: `/v2[.0][/lbaas]/...`, Octavia's fault body, list parameters, policy."""
