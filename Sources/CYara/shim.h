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

static inline int cyara_max_threads(void) { return YR_MAX_THREADS; }
#endif
