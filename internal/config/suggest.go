package config

import "strings"

// closest returns the candidate nearest to s, or "" when none is close
// enough to be a likely typo. Distance is the optimal string alignment
// distance (edits and swaps of neighbours), compared case-insensitively;
// ties go to the earlier candidate.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := distance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD <= maxTypo(s) {
		return best
	}
	// A name cut short (customer for customer_ref) is likely meant too,
	// when just one candidate starts with it.
	if len(ls) >= 4 {
		var found []string
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), ls) {
				found = append(found, c)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
	}
	return ""
}

// maxTypo is how many edits still count as a typo of s.
func maxTypo(s string) int {
	n := len([]rune(s))
	switch {
	case n <= 2:
		return 0
	case n <= 5:
		return 1
	case n <= 10:
		return 2
	default:
		return 3
	}
}

// DidYouMean formats a suggestion ("; did you mean users?"), or "" when there is none.
func DidYouMean(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return "; did you mean " + c + "?"
	}
	return ""
}

// distance is the optimal string alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
