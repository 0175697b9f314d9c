"""The audit trail, lake side: the hash chain's definition and the reader of the gateway's audit store
(events), signed redaction records (redaction), the auditors' trail in the lake with its Merkle
proofs (trail) and the Stellar anchoring of its daily roots (anchoring).

It sits in lake because the gateway (serving.audit writes the store), the pipelines (export and
anchor the trail) and the cofre CLI (verify, prove) all use it, and lake is the one layer each of
them may import.
"""
