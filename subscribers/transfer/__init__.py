"""Imports and exports of a team's subscribers (contract: Bulk, Imports and Exports)."""
