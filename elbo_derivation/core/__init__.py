"""The objects every layer shares: the derivation data model, the expectation and KL nodes,
and the bounded runner."""
