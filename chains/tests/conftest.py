from __future__ import annotations

import pytest

from chains.local_evm import ganache


@pytest.fixture(scope="session")
def evm_url():
    with ganache() as url:
        yield url


@pytest.fixture
def local_chain(settings, evm_url):
    """The local dev chain (1337) configured with the running ganache."""
    settings.CHAIN_RPC_URLS = {1337: evm_url}
    return evm_url
