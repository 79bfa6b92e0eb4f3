#!/usr/bin/env node
// The installed `beer` command. It exists before the build does, so that npm links it when a
// fresh clone is installed; the command itself is the built dist/beer.js.
import '../dist/beer.js'
