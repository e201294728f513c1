package sweep

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// columnName is a parameter's column in the tidy table: its path.
func columnName(p Param) string { return p.Path }

// numeric reports whether every value of a parameter is a number, so its column is typed as one.
func numeric(p Param) bool {
	for _, v := range p.Values {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return false
		}
	}
	return true
}

// WriteCSV writes the tidy table: point, one column per parameter, replication, seed, metric, kind,
// value (empty when the metric has no cases), numerator, denominator.
func WriteCSV(w io.Writer, params []Param, rows []Row) error {
	cw := csv.NewWriter(w)
	head := []string{"point"}
	for _, p := range params {
		head = append(head, columnName(p))
	}
	head = append(head, "replication", "seed", "metric", "kind", "value", "numerator", "denominator")
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{strconv.Itoa(r.Point)}
		rec = append(rec, r.Values...)
		value := ""
		if !r.NA {
			value = strconv.FormatFloat(r.Value, 'f', -1, 64)
		}
		rec = append(rec, strconv.Itoa(r.Replication), strconv.FormatInt(r.Seed, 10), r.Metric, r.Kind, value,
			strconv.Itoa(r.Numerator), strconv.Itoa(r.Denominator))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteParquet writes the same table as Parquet, typed: integers, a double value that is null where the
// metric has no cases, and each parameter as a double when all its values are numbers, else a string.
func WriteParquet(w io.Writer, params []Param, rows []Row) error {
	group := parquet.Group{
		"point":       parquet.Int(32),
		"replication": parquet.Int(32),
		"seed":        parquet.Int(64),
		"metric":      parquet.String(),
		"kind":        parquet.String(),
		"value":       parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"numerator":   parquet.Int(64),
		"denominator": parquet.Int(64),
	}
	for _, p := range params {
		if numeric(p) {
			group[columnName(p)] = parquet.Leaf(parquet.DoubleType)
		} else {
			group[columnName(p)] = parquet.String()
		}
	}
	schema := parquet.NewSchema("sweep", group)
	pw := parquet.NewWriter(w, schema)
	for _, r := range rows {
		row := map[string]any{"point": int32(r.Point), "replication": int32(r.Replication), "seed": r.Seed, "metric": r.Metric, "kind": r.Kind,
			"numerator": int64(r.Numerator), "denominator": int64(r.Denominator), "value": nil}
		if !r.NA {
			row["value"] = r.Value
		}
		for i, p := range params {
			if numeric(p) {
				f, _ := strconv.ParseFloat(r.Values[i], 64)
				row[columnName(p)] = f
			} else {
				row[columnName(p)] = r.Values[i]
			}
		}
		if err := pw.Write(row); err != nil {
			return err
		}
	}
	return pw.Close()
}
