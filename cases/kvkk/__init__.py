"""Her right to know (KVKK art. 11): on her request a supervisor prints everything the centre holds about her,
decrypted, across all her cases in the centre, and who accessed those files. Producing it is audited per case."""
