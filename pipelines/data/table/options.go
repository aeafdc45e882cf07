package table

// DefaultMaxBytes is the input size limit when WithMaxBytes is not given: 1 GiB.
const DefaultMaxBytes int64 = 1 << 30

// DefaultNullTokens are the cell texts read as null when WithNullTokens is not given.
var DefaultNullTokens = []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL"}

type options struct {
	name      string
	fields    []Field
	delimiter rune
	nulls     nullSet
	maxBytes  int64
	sizeHint  int64
}

// Option configures a reader.
type Option func(*options)

// WithName sets the file name used in messages. Default "input".
func WithName(name string) Option {
	return func(o *options) { o.name = name }
}

// WithFields sets the columns to read and their kinds; other columns are only listed
// in Table.Header. Default: every column, read as String.
func WithFields(fields ...Field) Option {
	return func(o *options) { o.fields = fields }
}

// WithDelimiter sets the CSV field delimiter. Default ','.
func WithDelimiter(r rune) Option {
	return func(o *options) { o.delimiter = r }
}

// WithNullTokens sets the cell texts read as null. Default DefaultNullTokens.
func WithNullTokens(tokens ...string) Option {
	return func(o *options) { o.nulls = newNullSet(tokens) }
}

// WithMaxBytes sets the largest input accepted, in bytes. Default DefaultMaxBytes.
// A Parquet file may also decode to at most maxBytes/2 cells, the most a CSV file of
// that size can hold, so a small compressed file cannot exhaust memory either.
func WithMaxBytes(n int64) Option {
	return func(o *options) { o.maxBytes = n }
}

// WithSizeHint tells ReadCSV the input's size in bytes, so it can size its buffers
// once from the first rows instead of growing them. Default: unknown.
func WithSizeHint(n int64) Option {
	return func(o *options) { o.sizeHint = n }
}

func newOptions(opts []Option) *options {
	o := &options{name: "input", delimiter: ',', maxBytes: DefaultMaxBytes}
	WithNullTokens(DefaultNullTokens...)(o)
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// kindOf returns the kind to read the named column as, and whether to read it at all.
func (o *options) kindOf(name string) (Kind, bool) {
	if o.fields == nil {
		return String, true
	}
	for _, f := range o.fields {
		if f.Name == name {
			return f.Kind, true
		}
	}
	return 0, false
}

// nullSet answers "is this a null token?" without a map lookup for most cells: a cell
// longer than every token, or starting with a byte no token starts with, is not one.
type nullSet struct {
	tokens map[string]bool
	first  [256]bool
	empty  bool
	maxLen int
}

func newNullSet(tokens []string) nullSet {
	n := nullSet{tokens: make(map[string]bool, len(tokens))}
	for _, t := range tokens {
		n.tokens[t] = true
		if t == "" {
			n.empty = true
			continue
		}
		n.first[t[0]] = true
		n.maxLen = max(n.maxLen, len(t))
	}
	return n
}

func (n *nullSet) has(s string) bool {
	if s == "" {
		return n.empty
	}
	if len(s) > n.maxLen || !n.first[s[0]] {
		return false
	}
	return n.tokens[s]
}
