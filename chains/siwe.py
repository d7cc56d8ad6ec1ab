"""Sign-In with Ethereum (EIP-4361): check a parsed message against the request and the
clock, and recover its signer with eth-account (EIP-191 ``personal_sign``).

The grammar (``parse``, ``SiweMessage``) is ``chains.siwe_message``; this module
re-exports it, so callers name one module for the whole of SIWE.

Why not spruceid's ``siwe`` package (or its successor ``signinwithethereum``, whose
import name is also ``siwe``): both require ``eth-account>=0.13.1,<0.14`` and
``web3>=7.3,<8``. Our pin is eth-account 0.14.0 and web3 is kept out of the runtime
(it is a large import for a process that only recovers one signature); pip cannot
resolve ``-r requirements.txt siwe==4.4.0`` at all ("ResolutionImpossible").

Checked on top of the grammar: the domain (and the scheme, when the message names
one) is the request's; the URI is on this site; a supported chain id; the nonce this
server issued (the caller consumes it); issued-at not in the future nor older than the
nonce's life (stricter than the EIP, which has no freshness rule); expiration and
not-before if present; and the signature recovers to the message's address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.utils import timezone

from chains.siwe_message import ADDRESS, SiweError, SiweMessage, parse, to_checksum_address
from cryptovault.recursion import recursion_limit_kept

__all__ = [
    "ADDRESS",
    "SiweError",
    "SiweMessage",
    "parse",
    "recover_signer",
    "to_checksum_address",
    "verify",
]

CLOCK_SKEW = timedelta(minutes=2)


# Loaded on the first signature, not on import: see the note in chains.siwe_message.
def recover_signer(text: str, signature: str) -> str:
    """The checksummed address that signed ``text`` with ``personal_sign`` (EIP-191)."""
    with recursion_limit_kept():  # eth-account imports py_ecc, which raises the limit
        from eth_account import Account
        from eth_account.messages import encode_defunct

    return str(Account.recover_message(encode_defunct(text=text), signature=signature))


def verify(
    text: str,
    signature: str,
    *,
    domain: str,
    origin: str,
    chain_ids: set[int],
    nonce_life: timedelta | None,
    nonce: str | None = None,
    now: datetime | None = None,
    lowercase_address: bool = False,
) -> SiweMessage:
    """The parsed message when everything holds.

    ``domain`` is the request's host[:port] and ``origin`` its ``scheme://host[:port]``:
    the message's domain must equal the host, its scheme (when it names one) the
    request's scheme, and its URI's origin the request's origin. ``nonce_life`` is our
    freshness rule (issued-at within the nonce's life); None applies only the EIP's own
    rules, as the authors' vectors expect. ``nonce``, when given, must be the message's;
    the service instead looks the nonce up and consumes it. ``now`` is for the vectors,
    whose times are fixed.
    """
    message = parse(text, lowercase_address=lowercase_address)
    now = now or timezone.now()
    if nonce is not None and message.nonce != nonce:
        raise SiweError("nonce_invalid", "This sign-in request is not the one expected.")
    request_scheme = urlsplit(origin).scheme
    if message.domain != domain or message.scheme not in (None, request_scheme):
        shown = f"{message.scheme}://{message.domain}" if message.scheme else message.domain
        raise SiweError("domain_mismatch", f"The message is for {shown}, not {domain}.")
    uri = urlsplit(message.uri)
    if f"{uri.scheme}://{uri.netloc}" != origin:
        raise SiweError("uri_mismatch", "The message's URI is not this site.")
    if message.chain_id not in chain_ids:
        raise SiweError("chain_unsupported", f"Chain {message.chain_id} is not supported.")
    if nonce_life is not None and (
        message.issued_at > now + CLOCK_SKEW or message.issued_at < now - nonce_life - CLOCK_SKEW
    ):
        raise SiweError("expired", "The message was not issued just now; sign a new one.")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise SiweError("expired", "The message has expired; sign a new one.")
    if message.not_before is not None and message.not_before > now + CLOCK_SKEW:
        raise SiweError("not_yet_valid", "The message is not valid yet.")
    try:
        signer = recover_signer(text, signature)
    except Exception:  # malformed signatures raise many types in eth-keys
        raise SiweError(
            "signature_invalid", "The signature is malformed.", field="signature"
        ) from None
    if signer != to_checksum_address(message.address):
        raise SiweError(
            "signature_invalid",
            "The signature is not from the message's address.",
            field="signature",
        )
    return message
