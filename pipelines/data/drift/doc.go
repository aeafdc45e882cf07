// Package drift computes how far a new batch's distribution is from a reference: PSI, the two-sample Kolmogorov–Smirnov test and the chi-square test, matching scipy.
package drift
