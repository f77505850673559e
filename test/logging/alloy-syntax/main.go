// Command alloy-syntax reads an Alloy configuration on standard input, parses it with Alloy's own
// syntax package and prints it as Alloy's formatter (alloy fmt) would, or the parse errors with exit
// status 1. With -blocks it prints the name of every top-level block, one a line, instead.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/grafana/alloy/syntax/ast"
	"github.com/grafana/alloy/syntax/parser"
	"github.com/grafana/alloy/syntax/printer"
)

func main() {
	blocks := flag.Bool("blocks", false, "print the top-level block names")
	flag.Parse()
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	file, err := parser.ParseFile("config.alloy", input)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *blocks {
		for _, stmt := range file.Body {
			if block, ok := stmt.(*ast.BlockStmt); ok {
				fmt.Println(strings.Join(block.Name, "."))
			}
		}
		return
	}
	var out bytes.Buffer
	if err := printer.Fprint(&out, file); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out.Bytes())
}
