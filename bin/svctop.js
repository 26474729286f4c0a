#!/usr/bin/env node
import '../build/source/cli.js';
