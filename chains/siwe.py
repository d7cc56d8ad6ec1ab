"""Sign-In with Ethereum (EIP-4361): parse the message, check every field, recover the
signer with eth-account (EIP-191 ``personal_sign``).

Checked: the domain and URI are this site's, version 1, a supported chain id, a nonce
this server issued to this user (unused, unexpired; consumed here), issued-at not in
the future nor older than the nonce's life, expiration and not-before if present,
and the signature recovers to the address in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.utils import timezone

from cryptovault.dates import parse_moment
from cryptovault.errors import DomainError
from cryptovault.recursion import recursion_limit_kept

__all__ = ["SiweError", "SiweMessage", "parse", "to_checksum_address", "verify"]

HEADER = re.compile(r"^(?P<domain>[^\s]+) wants you to sign in with your Ethereum account:$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
FIELDS = {
    "URI": "uri",
    "Version": "version",
    "Chain ID": "chain_id",
    "Nonce": "nonce",
    "Issued At": "issued_at",
    "Expiration Time": "expiration_time",
    "Not Before": "not_before",
    "Request ID": "request_id",
}
CLOCK_SKEW = timedelta(minutes=2)

# eth-account and eth-utils (with pydantic) weigh about 20 MB in memory: they are loaded
# when an address or a signature is first checked, not in every process that imports
# the URLconf (the websocket process never does either).


def to_checksum_address(address: str) -> str:
    """The EIP-55 form of an address (eth-utils); ValueError when it is not one."""
    with recursion_limit_kept():
        from eth_utils import to_checksum_address as checksum

    return str(checksum(address))


def recover_signer(text: str, signature: str) -> str:
    """The checksummed address that signed ``text`` with ``personal_sign`` (EIP-191)."""
    with recursion_limit_kept():  # eth-account imports py_ecc, which raises the limit
        from eth_account import Account
        from eth_account.messages import encode_defunct

    return str(Account.recover_message(encode_defunct(text=text), signature=signature))


class SiweError(DomainError):
    pass


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    statement: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime | None
    not_before: datetime | None


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_moment(value)
    if parsed is None or parsed.tzinfo is None:
        raise SiweError("siwe_invalid", f"{name} is not an RFC 3339 date-time.", field="message")
    return parsed


def parse(text: str) -> SiweMessage:
    lines = text.split("\n")
    header = HEADER.match(lines[0]) if lines else None
    if header is None or len(lines) < 7 or not ADDRESS.match(lines[1]):
        raise SiweError("siwe_invalid", "Not a Sign-In with Ethereum message.", field="message")
    statement = ""
    rest = lines[2:]
    if (
        len(rest) >= 3
        and rest[0] == ""
        and rest[1]
        and ":" not in rest[1].split(" ")[0]
        and rest[2] == ""
    ):
        statement, rest = rest[1], rest[3:]
    else:
        rest = rest[1:] if rest and rest[0] == "" else rest
    values: dict[str, str] = {}
    for line in rest:
        if line.startswith("- ") or line == "Resources:" or line == "":
            continue
        name, _, value = line.partition(": ")
        if name not in FIELDS or not value:
            raise SiweError(
                "siwe_invalid", f"Unexpected line in the message: {line[:40]!r}", field="message"
            )
        values[FIELDS[name]] = value
    for required in ("uri", "version", "chain_id", "nonce", "issued_at"):
        if required not in values:
            raise SiweError(
                "siwe_invalid", f"The message has no {required.replace('_', ' ')}.", field="message"
            )
    if not values["chain_id"].isdigit():
        raise SiweError("siwe_invalid", "Chain ID must be a number.", field="message")
    issued_at = _time(values["issued_at"], "Issued At")
    assert issued_at is not None
    return SiweMessage(
        domain=header.group("domain"),
        address=lines[1],
        statement=statement,
        uri=values["uri"],
        version=values["version"],
        chain_id=int(values["chain_id"]),
        nonce=values["nonce"],
        issued_at=issued_at,
        expiration_time=_time(values.get("expiration_time"), "Expiration Time"),
        not_before=_time(values.get("not_before"), "Not Before"),
    )


def verify(
    text: str,
    signature: str,
    *,
    domain: str,
    origin: str,
    chain_ids: set[int],
    nonce_life: timedelta,
) -> SiweMessage:
    """The parsed message when everything holds; the nonce is checked by the caller."""
    message = parse(text)
    now = timezone.now()
    if message.domain != domain:
        raise SiweError("domain_mismatch", f"The message is for {message.domain}, not {domain}.")
    uri = urlsplit(message.uri)
    if f"{uri.scheme}://{uri.netloc}" != origin:
        raise SiweError("uri_mismatch", "The message's URI is not this site.")
    if message.version != "1":
        raise SiweError("siwe_invalid", "Only version 1 messages are accepted.", field="message")
    if message.chain_id not in chain_ids:
        raise SiweError("chain_unsupported", f"Chain {message.chain_id} is not supported.")
    if message.issued_at > now + CLOCK_SKEW or message.issued_at < now - nonce_life - CLOCK_SKEW:
        raise SiweError("expired", "The message was not issued just now; sign a new one.")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise SiweError("expired", "The message has expired; sign a new one.")
    if message.not_before is not None and message.not_before > now + CLOCK_SKEW:
        raise SiweError("not_yet_valid", "The message is not valid yet.")
    if message.address != to_checksum_address(message.address) and not message.address.islower():
        raise SiweError("siwe_invalid", "The address is not EIP-55 checksummed.", field="message")
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
