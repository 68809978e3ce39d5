"""The command line's verbs, one module per family (as open-contracting's ocdskit): each module has
`add_parsers(sub)`, which adds its verbs' arguments and help, and `VERBS`, verb -> function(args) -> exit
code. evaluator/cli.py lists the families; tender_args.py and output.py hold what the verbs share."""
