#ifndef CYARA_SHIM_H
#define CYARA_SHIM_H
// libyara 4.2.x, wrapped for Swift. The rule, string, meta and namespace fields sit inside
// DECLARE_REFERENCE unions and the iteration constructs are macros, neither of which Swift can use
// directly: each gets a small prefixed inline function here (swift-nio's CNIOLinux shim style).
#include <yara.h>
#include <string.h>

static inline const char *cyara_rule_identifier(const YR_RULE *rule) { return rule->identifier; }
static inline const char *cyara_rule_namespace(const YR_RULE *rule) { return rule->ns->name; }

/// The rule's tags: a sequence of NUL-terminated strings ended by an empty string.
static inline const char *cyara_rule_tags(const YR_RULE *rule) { return rule->tags; }
/// The next tag after `tag`, or NULL at the end.
static inline const char *cyara_next_tag(const char *tag) {
    if (tag == NULL || *tag == '\0') return NULL;
    const char *next = tag + strlen(tag) + 1;
    return *next == '\0' ? NULL : next;
}

static inline const YR_META *cyara_rule_first_meta(const YR_RULE *rule) { return rule->metas; }
static inline const YR_META *cyara_next_meta(const YR_META *meta) {
    return META_IS_LAST_IN_RULE(meta) ? NULL : meta + 1;
}
static inline const char *cyara_meta_identifier(const YR_META *meta) { return meta->identifier; }
static inline const char *cyara_meta_string(const YR_META *meta) { return meta->string; }
static inline int64_t cyara_meta_integer(const YR_META *meta) { return meta->integer; }
/// 1 = integer, 2 = string, 3 = boolean (META_TYPE_*).
static inline int32_t cyara_meta_type(const YR_META *meta) { return meta->type; }

static inline const YR_STRING *cyara_rule_first_string(const YR_RULE *rule) { return rule->strings; }
static inline const YR_STRING *cyara_next_string(const YR_STRING *string) {
    return STRING_IS_LAST_IN_RULE(string) ? NULL : string + 1;
}
static inline const char *cyara_string_identifier(const YR_STRING *string) { return string->identifier; }

/// The first non-private match of `string` in this scan, or NULL.
static inline const YR_MATCH *cyara_string_first_match(YR_SCAN_CONTEXT *context, const YR_STRING *string) {
    const YR_MATCH *m = context->matches[string->idx].head;
    while (m != NULL && m->is_private) m = m->next;
    return m;
}
static inline const YR_MATCH *cyara_next_match(const YR_MATCH *match) {
    const YR_MATCH *m = match->next;
    while (m != NULL && m->is_private) m = m->next;
    return m;
}
/// Number of matches (private ones included) of `string` in this scan.
static inline int32_t cyara_string_match_count(YR_SCAN_CONTEXT *context, const YR_STRING *string) {
    return context->matches[string->idx].count;
}
static inline int64_t cyara_match_offset(const YR_MATCH *match) { return match->base + match->offset; }
static inline int32_t cyara_match_length(const YR_MATCH *match) { return match->match_length; }

/// The string that caused a CALLBACK_MSG_TOO_MANY_MATCHES message.
static inline const char *cyara_too_many_matches_identifier(void *message_data) {
    const YR_STRING *s = (const YR_STRING *)message_data;
    return s == NULL ? NULL : s->identifier;
}

static inline uint32_t cyara_rules_count(const YR_RULES *rules) {
    uint32_t n = 0;
    const YR_RULE *rule;
    yr_rules_foreach(rules, rule) { n++; }
    return n;
}

/// Blocks of one file held in a single buffer: block i is `sizes[i]` bytes at `data + offsets[i]`,
/// standing at file offset `bases[i]` (a file scanned in parts: YARA's offsets, `filesize` and
/// `uint32(n)` stay those of the whole file).
typedef struct {
    const uint8_t *data;
    const size_t *offsets;
    const size_t *sizes;
    const uint64_t *bases;
    size_t count;
    size_t next;
    uint64_t file_size;
    YR_MEMORY_BLOCK block;
} cyara_blocks;

static inline const uint8_t *cyara_blocks_fetch(YR_MEMORY_BLOCK *block) { return (const uint8_t *)block->context; }

static inline YR_MEMORY_BLOCK *cyara_blocks_next(YR_MEMORY_BLOCK_ITERATOR *iterator) {
    cyara_blocks *b = (cyara_blocks *)iterator->context;
    if (b->next >= b->count) return NULL;
    size_t i = b->next++;
    b->block.size = b->sizes[i];
    b->block.base = b->bases[i];
    b->block.context = (void *)(b->data + b->offsets[i]);
    b->block.fetch_data = cyara_blocks_fetch;
    return &b->block;
}

static inline YR_MEMORY_BLOCK *cyara_blocks_first(YR_MEMORY_BLOCK_ITERATOR *iterator) {
    ((cyara_blocks *)iterator->context)->next = 0;
    return cyara_blocks_next(iterator);
}

static inline uint64_t cyara_blocks_file_size(YR_MEMORY_BLOCK_ITERATOR *iterator) {
    return ((cyara_blocks *)iterator->context)->file_size;
}

/// Scans the blocks described by `blocks` as one file of `blocks->file_size` bytes.
static inline int cyara_scan_blocks(YR_SCANNER *scanner, cyara_blocks *blocks) {
    YR_MEMORY_BLOCK_ITERATOR iterator;
    memset(&iterator, 0, sizeof iterator);
    iterator.context = blocks;
    iterator.first = cyara_blocks_first;
    iterator.next = cyara_blocks_next;
    iterator.file_size = cyara_blocks_file_size;
    iterator.last_error = ERROR_SUCCESS;
    return yr_scanner_scan_mem_blocks(scanner, &iterator);
}

static inline int cyara_max_threads(void) { return YR_MAX_THREADS; }
#endif
