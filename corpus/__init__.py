"""The corpus: every filing RiskLens scored, in an embedded DuckDB database, and queries on it.

    with open_store("risklens.duckdb") as store:                 # corpus.store
        build_corpus(expand_sources(["filings/"]), store, classifier)   # corpus.build
    with open_store("risklens.duckdb", read_only=True) as store:
        rows = find_filings(store, FilingFilter(leaf="entity_list_sanctions"))  # corpus.query

Layering: corpus imports filings, labels, model and scoring; never serving, training or
the command line. Tables and figures: ``corpus/README.md``.
"""
