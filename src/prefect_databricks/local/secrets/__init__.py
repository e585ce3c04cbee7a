"""The Secrets API: scopes and secrets in the store, read back by task processes through `secrets/get`."""
