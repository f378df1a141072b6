"""Heartbeats: tells the hub when an engine stops answering."""

from ipcluster.heartmonitor._monitor import Beats, HeartMonitor

__all__ = ["Beats", "HeartMonitor"]
