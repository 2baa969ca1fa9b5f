// VigilFeeds
//
// Indicator feed readers (Sophos CSV, Volexity CSV, STIX 2.1, MISP, OpenIOC, Loki, plain lists), the local feed store and blocklist export.
