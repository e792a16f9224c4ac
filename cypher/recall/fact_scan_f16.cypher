// recall/fact_scan's first half for a large scope: its visible facts' float16 copies, scored
// by the client, which re-scores its shortlist exactly (recall/fact_hits).
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/facts_f16
