#!/bin/sh
sleep 15
echo "neighbor 127.0.0.150 teardown 4"
sleep 3600
