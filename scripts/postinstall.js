'use strict'; // replaced by the FUSE work: patches and rebuilds fuse-native, builds native/
