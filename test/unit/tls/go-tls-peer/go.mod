module tlspeer

go 1.22
