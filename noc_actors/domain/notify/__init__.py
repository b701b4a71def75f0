"""Notifications (SPEC section 15), the pure part: which escalations and
resolutions call for a notice (``notices``), who a notice reaches
(``contacts``), what each channel is sent (``render``), how a send is judged
and retried (``retry``), and the signatures and acknowledge tokens
(``signing``). The pipeline that runs them is ``noc_actors.notify``."""
