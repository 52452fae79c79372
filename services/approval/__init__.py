"""The approval domain: the policy and its tiers, assessment, approval requests and signed
tokens, ballots, document records and revisions, the master index, and the mail it sends."""
