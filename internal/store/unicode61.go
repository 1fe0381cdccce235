package store

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// The SQLite message search (messages_fts, migration 00013) tokenizes with
// FTS5's unicode61 tokenizer and remove_diacritics 2. When a word is common,
// the finished-conversation search reads the messages of a few conversations
// and tests them here instead of reading the whole index's match (see
// MessageMatcher). The code below is that tokenizer, byte for byte: the same
// token characters, the same case folding and accent removal, the same
// reading of invalid UTF-8. Its character tables (unicode61_tables.go) are not
// Go's unicode package, which knows a newer Unicode than SQLite's tokenizer
// (to which, for one, most unassigned code points are token characters):
// they were read from the tokenizer itself, and the tests check them against
// it for every code point, so that the two implementations cannot drift
// apart unnoticed when SQLite is upgraded.

// unicode61ASCII says which bytes below 0x80 are token characters: letters
// and digits.
var unicode61ASCII = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	return t
}()

// sqliteUTF8Lead is sqlite3Utf8Trans1: the bits a lead byte 0xC0–0xFF
// contributes.
var sqliteUTF8Lead = [64]uint32{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x01, 0x02, 0x03, 0x00, 0x01, 0x00, 0x00,
}

// readSQLiteUTF8 decodes the character at s[i] (not ASCII) as FTS5's
// READ_UTF8 does, and returns it with the index after it. Unlike Go it takes
// every continuation byte that follows a lead byte, reads a stray
// continuation byte as the code point of the same value, and computes in an
// unsigned 32 bits that wrap; overlong forms, surrogates, U+FFFE and U+FFFF
// become U+FFFD.
func readSQLiteUTF8(s string, i int) (uint32, int) {
	c := uint32(s[i])
	i++
	if c >= 0xc0 {
		c = sqliteUTF8Lead[c-0xc0]
		for i < len(s) && s[i]&0xc0 == 0x80 {
			c = c<<6 + uint32(s[i]&0x3f)
			i++
		}
		if c < 0x80 || c&0xfffff800 == 0xd800 || c&0xfffffffe == 0xfffe {
			c = 0xfffd
		}
	}
	return c, i
}

// appendSQLiteUTF8 is FTS5's WRITE_UTF8: four bytes at most, so the bits
// of a value beyond U+10FFFF above the 21st are dropped.
func appendSQLiteUTF8(b []byte, c uint32) []byte {
	switch {
	case c < 0x80:
		return append(b, byte(c))
	case c < 0x800:
		return append(b, 0xc0+byte(c>>6&0x1f), 0x80+byte(c&0x3f))
	case c < 0x10000:
		return append(b, 0xe0+byte(c>>12&0x0f), 0x80+byte(c>>6&0x3f), 0x80+byte(c&0x3f))
	}
	return append(b, 0xf0+byte(c>>18&0x07), 0x80+byte(c>>12&0x3f), 0x80+byte(c>>6&0x3f), 0x80+byte(c&0x3f))
}

// unicode61Class is what the tokenizer makes of a character beyond ASCII.
type unicode61Class uint8

const (
	unicode61Token     unicode61Class = iota // starts or continues a token
	unicode61Separator                       // ends a token, or is skipped between tokens
	// unicode61Diacritic continues a token and is dropped from it (a
	// combining accent); before a token it is skipped like a separator.
	unicode61Diacritic
)

func unicode61ClassOf(c uint32) unicode61Class {
	if c > utf8.MaxRune {
		return unicode61Token
	}
	r := rune(c)
	i := sort.Search(len(unicode61Separators), func(i int) bool { return unicode61Separators[i][1] >= r })
	if i < len(unicode61Separators) && unicode61Separators[i][0] <= r {
		return unicode61Separator
	}
	if _, ok := unicode61Diacritics[r]; ok {
		return unicode61Diacritic
	}
	return unicode61Token
}

// unicode61Fold is the token character c becomes: lower case, without
// accents.
func unicode61Fold(c uint32) uint32 {
	if f, ok := unicode61Folds[rune(c)]; ok && c <= utf8.MaxRune {
		return uint32(f)
	}
	return c
}

// unicode61Tokens appends to buf the tokens of text, one after another, and
// to ends where each ends in buf: the terms FTS5 would index text by.
func unicode61Tokens(text string, buf []byte, ends []int) ([]byte, []int) {
	in := false
	for i := 0; i < len(text); {
		b := text[i]
		if b < 0x80 {
			i++
			if !unicode61ASCII[b] {
				if in {
					ends, in = append(ends, len(buf)), false
				}
				continue
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf, in = append(buf, b), true
			continue
		}
		var c uint32
		c, i = readSQLiteUTF8(text, i)
		switch unicode61ClassOf(c) {
		case unicode61Separator:
			if in {
				ends, in = append(ends, len(buf)), false
			}
		case unicode61Diacritic:
			// Removed from the token it is in (remove_diacritics), and
			// starts none.
		default:
			buf, in = appendSQLiteUTF8(buf, unicode61Fold(c)), true
		}
	}
	if in {
		ends = append(ends, len(buf))
	}
	return buf, ends
}

// unicode61Phrase is one word of a search as FTS5 reads a quoted string: its
// tokens, which must follow one another in a message, the last one perhaps
// only as the beginning of a token.
type unicode61Phrase struct {
	tokens [][]byte
	prefix bool
}

// MessageMatcher tests message bodies in Go for the words of a search
// exactly as messages_fts does on SQLite with MessageMatch's query: each
// word is a quoted FTS5 string (its tokens in a row), the words of three
// letters or more match as prefixes, every word must be in the message.
// A word the tokenizer finds no token in (a letter of a script newer than
// SQLite's tables) is an empty phrase, which FTS5 matches in no message.
// It is not safe for concurrent use.
type MessageMatcher struct {
	phrases []unicode61Phrase
	buf     []byte
	ends    []int
}

// NewMessageMatcher compiles typed for Match; nil when typed holds no word
// (MessageMatch is then "").
func NewMessageMatcher(typed string) *MessageMatcher {
	words := searchWords(typed)
	if len(words) == 0 {
		return nil
	}
	m := &MessageMatcher{}
	for _, w := range words {
		buf, ends := unicode61Tokens(w, nil, nil)
		p := unicode61Phrase{prefix: utf8.RuneCountInString(w) >= minPrefixRunes}
		start := 0
		for _, end := range ends {
			p.tokens = append(p.tokens, buf[start:end])
			start = end
		}
		m.phrases = append(m.phrases, p)
	}
	return m
}

// Match says whether body holds every word.
func (m *MessageMatcher) Match(body string) bool {
	for _, p := range m.phrases {
		if len(p.tokens) == 0 {
			return false
		}
	}
	m.buf, m.ends = unicode61Tokens(body, m.buf[:0], m.ends[:0])
	for _, p := range m.phrases {
		if !m.hasPhrase(p) {
			return false
		}
	}
	return true
}

func (m *MessageMatcher) token(i int) []byte {
	start := 0
	if i > 0 {
		start = m.ends[i-1]
	}
	return m.buf[start:m.ends[i]]
}

func (m *MessageMatcher) hasPhrase(p unicode61Phrase) bool {
	last := len(p.tokens) - 1
next:
	for i := 0; i+last < len(m.ends); i++ {
		for j, want := range p.tokens {
			got := m.token(i + j)
			if j == last && p.prefix {
				if !bytes.HasPrefix(got, want) {
					continue next
				}
			} else if !bytes.Equal(got, want) {
				continue next
			}
		}
		return true
	}
	return false
}
