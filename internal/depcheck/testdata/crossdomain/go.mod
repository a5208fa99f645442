module example.com/crossdomain

go 1.26
