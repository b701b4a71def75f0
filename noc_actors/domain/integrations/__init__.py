"""Monitoring integrations (SPEC section 12): pure translations of the
Prometheus Alertmanager and PagerDuty Events API v2 wire formats into alert
drafts. No I/O and no clock: every function that needs the time takes ``now``."""
