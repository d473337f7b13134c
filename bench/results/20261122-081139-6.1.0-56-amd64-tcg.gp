
set terminal png size 1100,560 font ",10"
set output 'bench/results/20261122-081139-6.1.0-56-amd64-tcg.png'
set title 'pvio / native, 6.1.0-56-amd64 tcg 2 vCPUs'
set style fill solid 0.8 border -1
set boxwidth 0.35
set xrange [-0.6:9.6]
set logscale y
set yrange [0.05:*]
set grid ytics mytics
set ylabel 'ratio pvio / native (same boot, median, min-max; log scale)'
set xtics rotate by -25 nomirror
set key top right
plot 'bench/results/20261122-081139-6.1.0-56-amd64-tcg.dat' using ($1-0.18):3:xtic(2) with boxes lc rgb '#4477aa' title 'throughput / latency ratio', \
     '' using ($1-0.18):3:4:5 with yerrorbars lc rgb 'black' pt -1 notitle, \
     '' using ($1+0.18):6 with boxes lc rgb '#ee7733' title 'CPU per I/O ratio', \
     '' using ($1+0.18):6:7:8 with yerrorbars lc rgb 'black' pt -1 notitle, \
     '' using ($1-0.18):3:(sprintf('%.2f', $3)) with labels offset 0,0.8 font ',9' notitle, \
     '' using ($1+0.18):6:(sprintf('%.2f', $6)) with labels offset 0,0.8 font ',9' notitle, \
     '' using 1:(valid(3) ? 1/0 : 0.07):("n/a") with labels offset 0,0.8 notitle, \
     '' using ($1-0.18):9 with points pt 9 ps 1.6 lc rgb '#228833' title 'goal (ratio)', \
     1.3 with lines dt 2 lc rgb '#ee7733' title 'CPU goal 1.3', \
     1 with lines lc rgb 'gray' notitle
