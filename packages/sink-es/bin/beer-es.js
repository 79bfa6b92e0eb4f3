#!/usr/bin/env node
// The installed `beer-es` command (also reached as `beer es`). It exists before the build does, so
// that npm links it when a fresh clone is installed; the command itself is the built dist/beer-es.js.
import '../dist/beer-es.js'
