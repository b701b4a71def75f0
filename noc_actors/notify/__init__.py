"""The notification pipeline (SPEC section 15), run by the notifier actor
(``noc:notifier``): ``pipeline`` assembles the stages, ``channels`` sends."""
