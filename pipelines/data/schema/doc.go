// Package schema describes the columns a data file must have and validates tables against it.
package schema
