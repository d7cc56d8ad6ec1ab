"""The Sign-In with Ethereum message (EIP-4361): its grammar, parsed field by field.

The parser follows the EIP's ABNF line by line, because a lenient parser lets two
readers disagree about one signed text: a wallet shows the user the fields in their
fixed order, and a server that accepted them in any order, or the last of two copies
of a field, would act on values the wallet may never have shown. So: the fields come
in the fixed order, each at most once; the domain is an RFC 3986 authority, optionally
preceded by a scheme (``https://example.com wants you…``); the address is EIP-55; the
statement is one line of the ABNF's characters; URI and resources are RFC 3986 URIs
(scheme required); the chain id is digits; the nonce is at least 8 letters or digits;
the times are RFC 3339. The authors' vectors (spruceid/siwe, ``test/``) are in
``chains/tests/siwe_vectors`` and run as tests.

What a parsed message must still match (the request, the clock, the signature) is
checked by ``chains.siwe.verify``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from cryptovault.dates import parse_moment
from cryptovault.errors import DomainError
from cryptovault.recursion import recursion_limit_kept

# RFC 3986 character classes, as the EIP-4361 ABNF uses them.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT_ENCODED = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT_ENCODED})"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"

HEADER = re.compile(
    rf"(?:(?P<scheme>{_SCHEME})://)?(?P<domain>\S*)"
    r" wants you to sign in with your Ethereum account:"
)
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
# statement = *( reserved / unreserved / " " ): one line, printable ASCII without %"<>\^`{|}
STATEMENT = re.compile(rf"[{_UNRESERVED}:/?#\[\]@{_SUB_DELIMS} ]*")
# EIP-155 chain ids fit in 256 bits (78 digits); the cap also keeps int() cheap.
CHAIN_ID = re.compile(r"[0-9]{1,78}")
NONCE = re.compile(r"[A-Za-z0-9]{8,}")
REQUEST_ID = re.compile(rf"{_PCHAR}*")
# RFC 3339 date-time (the EIP's grammar), checked before parse_moment, which would also
# take ISO 8601 forms RFC 3339 does not allow (a space for the T, no seconds, no offset).
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)

_URI = re.compile(
    rf"(?P<scheme>{_SCHEME}):(?P<hier>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?",
    re.DOTALL,
)
_PATH = re.compile(rf"(?:{_PCHAR}|/)*")
_QUERY = re.compile(rf"(?:{_PCHAR}|[/?])*")
_USERINFO = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT_ENCODED})*")
_REG_NAME = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT_ENCODED})+")
_IP_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+")
_PORT = re.compile(r"[0-9]*")

# The fields after the statement, in the order the ABNF fixes: (label, required).
FIELDS: tuple[tuple[str, bool], ...] = (
    ("URI", True),
    ("Version", True),
    ("Chain ID", True),
    ("Nonce", True),
    ("Issued At", True),
    ("Expiration Time", False),
    ("Not Before", False),
    ("Request ID", False),
)

# eth-account and eth-utils (with pydantic) weigh about 20 MB in memory: they are loaded
# when an address or a signature is first checked, not in every process that imports
# the URLconf (the websocket process never does either).


def to_checksum_address(address: str) -> str:
    """The EIP-55 form of an address (eth-utils); ValueError when it is not one."""
    with recursion_limit_kept():
        from eth_utils import to_checksum_address as checksum

    return str(checksum(address))


class SiweError(DomainError):
    """A SIWE message or signature refused (400): the code says which check failed."""


@dataclass(frozen=True)
class SiweMessage:
    """A message that follows the EIP-4361 grammar (not yet checked against a request)."""

    scheme: str | None  # "https" for "https://example.com wants you…", else None
    domain: str  # the RFC 3986 authority, without the scheme
    address: str
    statement: str | None
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime | None
    not_before: datetime | None
    request_id: str | None
    resources: tuple[str, ...]


def _invalid(message: str) -> SiweError:
    return SiweError("siwe_invalid", message, field="message")


def _host_ok(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        literal = host[1:-1]
        if _IP_FUTURE.fullmatch(literal):
            return True
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return False
        return "%" not in literal  # a zone id is not part of RFC 3986's IPv6address
    # IPv4address is a reg-name too; an empty host names nobody to sign in to.
    return _REG_NAME.fullmatch(host) is not None


def authority_ok(authority: str) -> bool:
    """RFC 3986 ``[ userinfo "@" ] host [ ":" port ]`` with a non-empty host."""
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO.fullmatch(userinfo):
        return False
    if hostport.startswith("["):
        host, bracket, rest = hostport.partition("]")
        host += bracket
        if rest and not rest.startswith(":"):
            return False
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    return _host_ok(host) and _PORT.fullmatch(port) is not None


def uri_ok(uri: str) -> bool:
    """An RFC 3986 URI (not a relative reference): a scheme, then the hierarchical part."""
    match = _URI.fullmatch(uri)
    if match is None:
        return False
    hier = match["hier"]
    if hier.startswith("//"):
        authority, slash, path = hier[2:].partition("/")
        # An empty authority is legal ("file:///x"): only the path's characters matter then.
        if authority and not authority_ok(authority):
            return False
        path = slash + path
    else:
        path = hier
    return _PATH.fullmatch(path) is not None and all(
        _QUERY.fullmatch(part or "") for part in (match["query"], match["fragment"])
    )


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_moment(value.upper()) if RFC3339.fullmatch(value) else None
    if parsed is None:
        raise _invalid(f"{name} is not an RFC 3339 date-time.")
    return parsed


def _address(value: str, *, lowercase_accepted: bool) -> str:
    if not ADDRESS.fullmatch(value):
        raise _invalid("The second line must be an Ethereum address (0x and 40 hex digits).")
    if value != to_checksum_address(value) and not (lowercase_accepted and value == value.lower()):
        raise _invalid("The address is not EIP-55 checksummed.")
    return value


def parse(text: str, *, lowercase_address: bool = False) -> SiweMessage:
    """The message's fields, when the text follows the EIP-4361 ABNF exactly.

    ``lowercase_address`` also takes an all-lowercase address (the EIP asks for EIP-55;
    wallets report lowercase and our wallet page signs that form, see
    ``chains.services._signed_in``).
    """
    lines = text.split("\n")
    header = HEADER.fullmatch(lines[0])
    if header is None or len(lines) < 9:
        raise _invalid("Not a Sign-In with Ethereum message.")
    if not authority_ok(header["domain"]):
        raise _invalid("The domain is not an RFC 3986 authority (host, optional port).")
    address = _address(lines[1], lowercase_accepted=lowercase_address)
    if lines[2] != "":
        raise _invalid("An empty line must follow the address.")
    statement: str | None = None
    at = 4
    if lines[3] != "":
        statement, at = lines[3], 5
        if not STATEMENT.fullmatch(statement):
            raise _invalid("The statement has characters EIP-4361 does not allow.")
        if lines[4] != "":
            raise _invalid("The statement must be one line followed by an empty line.")

    values: dict[str, str] = {}
    for label, required in FIELDS:
        prefix = f"{label}: "
        if at < len(lines) and lines[at].startswith(prefix):
            values[label] = lines[at].removeprefix(prefix)
            at += 1
        elif required:
            raise _invalid(
                f"Expected the {label} line here: fields come in EIP-4361's order, each once."
            )
    resources: list[str] = []
    if at < len(lines) and lines[at] == "Resources:":
        at += 1
        while at < len(lines) and lines[at].startswith("- "):
            resources.append(lines[at].removeprefix("- "))
            at += 1
    if at != len(lines):
        raise _invalid(
            f"Unexpected line {lines[at][:40]!r}: fields come in EIP-4361's order, each once."
        )

    if not uri_ok(values["URI"]):
        raise _invalid("The URI is not an RFC 3986 URI.")
    if values["Version"] != "1":
        raise _invalid("Only version 1 messages are accepted.")
    if not CHAIN_ID.fullmatch(values["Chain ID"]):
        raise _invalid("Chain ID must be a number.")
    if not NONCE.fullmatch(values["Nonce"]):
        raise _invalid("The nonce must be at least 8 letters or digits.")
    request_id = values.get("Request ID")
    if request_id is not None and not REQUEST_ID.fullmatch(request_id):
        raise _invalid("The request id has characters EIP-4361 does not allow.")
    for resource in resources:
        if not uri_ok(resource):
            raise _invalid(f"The resource {resource[:40]!r} is not an RFC 3986 URI.")
    issued_at = _time(values["Issued At"], "Issued At")
    assert issued_at is not None
    return SiweMessage(
        scheme=header["scheme"],
        domain=header["domain"],
        address=address,
        statement=statement,
        uri=values["URI"],
        version=values["Version"],
        chain_id=int(values["Chain ID"]),
        nonce=values["Nonce"],
        issued_at=issued_at,
        expiration_time=_time(values.get("Expiration Time"), "Expiration Time"),
        not_before=_time(values.get("Not Before"), "Not Before"),
        request_id=request_id,
        resources=tuple(resources),
    )
