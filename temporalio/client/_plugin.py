"""Client plugins: :class:`Plugin` (the official SDK's
``temporalio.client.Plugin``)."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:
    from temporalio.client._client import ClientConfig
    from temporalio.service import ConnectConfig, ServiceClient


class Plugin(abc.ABC):
    """Base class of client plugins: a chain that can change a client's
    options and wrap the opening of its connection.

    Given as ``Client.connect(..., plugins=[a, b])`` (or ``Client(...,
    plugins=...)``): the earlier plugins wrap the later ones. When a client is
    made, each plugin's :meth:`configure_client` receives the options (a
    :class:`ClientConfig`) in turn and returns those to use; when
    :meth:`Client.connect` opens the connection, :meth:`connect_service_client`
    of the first plugin is called with the connection options and a ``next``
    that calls the following plugin's, the last one opening the connection.

    :meth:`Client.config` returns the options as given, ``config(active_config=True)``
    those in use after the plugins. A plugin that is also a
    :class:`temporalio.worker.Plugin` (e.g. :class:`temporalio.plugin.SimplePlugin`)
    configures and wraps every worker made from the client too, before the
    worker's own plugins.
    """

    def name(self) -> str:
        """The plugin's name (default: the class's ``module.qualname``)."""
        return type(self).__module__ + "." + type(self).__qualname__

    @abc.abstractmethod
    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Return the options of the client being made, changed or not
        (e.g. an interceptor added, another data converter). Called once per
        client, in the order the plugins were given."""

    @abc.abstractmethod
    async def connect_service_client(
        self,
        config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[ServiceClient]],
    ) -> ServiceClient:
        """Open the connection of :meth:`Client.connect`: usually
        ``return await next(config)``, with ``config`` changed or not
        (e.g. ``dataclasses.replace(config, api_key=...)``)."""
