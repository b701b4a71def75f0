"""The demo: a fixed, plausible facility-management world (``world``) and a
seeded, clock-free simulator of the platform that serves it (``simulator``),
posting events so an operator dashboard comes alive within a minute."""
