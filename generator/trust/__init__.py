"""Credentials and trust: everything that signs, verifies or publishes proof.

``keys`` (Ed25519, Multikey, the published key history), ``ld`` (JSON-LD with pinned contexts
only, safe canonicalization), ``proof`` (Data Integrity eddsa-rdfc-2022 / eddsa-jcs-2022),
``ob`` (Open Badges 3.0 documents), ``issuer`` (the issuer Profile / DID document),
``status`` (Bitstring Status List), ``bake`` (credentials in PNG/SVG), ``resolve`` (where
trusted documents come from), ``verify`` (the verification algorithm), ``ledger`` (the signed,
hash-chained issuance log).
May import: ``core`` and ``content`` (the model an Achievement is made from).
"""
