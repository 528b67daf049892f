#!/bin/sh
echo "started $$ $*" >> /tmp/textcap/cap.err
cat >> "$1" 2>>/tmp/textcap/cap.err
echo "cat exited $?" >> /tmp/textcap/cap.err
