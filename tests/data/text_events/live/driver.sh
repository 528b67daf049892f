#!/bin/sh
sleep 4
for peer in 127.0.0.151 127.0.0.152 127.0.0.153; do
echo "neighbor $peer announce route 198.51.100.0/24 next-hop 192.0.2.1 med 100 local-preference 200 community [ 65001:100 no-export ] extended-community [ target:65001:100 ] large-community [ 65001:1:2 ] as-path [ 65001 65002 ] origin egp atomic-aggregate aggregator ( 65001:10.0.0.1 ) originator-id 10.0.0.1 cluster-list [ 10.0.0.2 10.0.0.3 ]"
echo "neighbor $peer announce route 2001:db8:1::/48 next-hop 2001:db8::1 as-path [ 65001 ]"
echo "neighbor $peer announce route 10.10.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1 extended-community [ target:65000:1 ]"
echo "neighbor $peer announce route 10.20.0.0/24 label [ 200 ] next-hop 192.0.2.1"
done
sleep 2
for peer in 127.0.0.151 127.0.0.152 127.0.0.153; do
echo "neighbor $peer announce route-refresh ipv4 unicast"
echo "neighbor $peer withdraw route 198.51.100.0/24 next-hop 192.0.2.1"
echo "neighbor $peer withdraw route 2001:db8:1::/48 next-hop 2001:db8::1"
echo "neighbor $peer withdraw route 10.10.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1"
done
echo "announce operational adm afi ipv4 safi unicast advisory \"maintenance at 10:00\""
echo "announce operational rpcq afi ipv4 safi unicast sequence 7"
echo "announce operational rpcp afi ipv4 safi unicast sequence 7 counter 42"
echo "announce operational asm afi ipv6 safi unicast advisory \"it's \\ here\""
sleep 2
echo "neighbor 127.0.0.151 teardown 2"
sleep 3600
