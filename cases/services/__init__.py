"""Case business rules, split by sub-domain. Services take ``actor=``, raise domain errors, may flush, never commit."""
