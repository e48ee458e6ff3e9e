"""The sandbox: a deterministic simulator of the six ad platforms, and its connector."""

from adops.connectors.sandbox.connector import SandboxConnector, init_state, load_world, state_path
from adops.connectors.sandbox.world import World

__all__ = ["SandboxConnector", "World", "init_state", "load_world", "state_path"]
