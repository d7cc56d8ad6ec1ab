"""Chains and wallets API (SPEC §5, §7): thin views over ``chains.selectors``,
``chains.services`` and ``chains.gas``.

Each view validates its input, calls one rule and serializes the answer; refusals are
``DomainError``s raised by the rules (a node's failures mapped in ``chains.nodes``)
and shaped by the one API exception handler. Cut by what is served:

- ``chains``: the registry, gas and estimates (``/api/chains…``);
- ``wallets``: nonces, linking, unlinking, balances and the wallet login;
- ``transactions``: recording a sent transaction and the history.
"""
